"""The SQL model graph: load a model project, infer its DAG, run it atomically, test it."""
