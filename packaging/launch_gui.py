from shoplytics_desktop.app import main

raise SystemExit(main())
