"""The Windows launcher's entry point (installers/windows/launcher.spec freezes it): see
assistant/update/launcher.py."""

import sys

from assistant.update.launcher import main

sys.exit(main())
