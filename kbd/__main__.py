from kbd.cli import main

raise SystemExit(main())
