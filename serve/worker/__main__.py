import sys

from fazhi.serve.worker.child import main

sys.exit(main())
