import sys

from sekimori.cli import main

sys.exit(main())
