from jitvm.cli.main import main

raise SystemExit(main())
