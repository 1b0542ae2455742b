"""`python -m onboarding.cli`: the same as the `onboard` script."""

import sys

from onboarding.cli.parser import main

sys.exit(main())
