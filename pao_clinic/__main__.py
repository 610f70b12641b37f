import sys

from pao_clinic.cli import main

sys.exit(main())
