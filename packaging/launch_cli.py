from shoplytics_desktop.cli import main

raise SystemExit(main())
