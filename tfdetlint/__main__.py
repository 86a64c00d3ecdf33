from tfdetlint.cli import main

raise SystemExit(main())
