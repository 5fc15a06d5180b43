import sys

from reconstruct.cli import main

sys.exit(main())
