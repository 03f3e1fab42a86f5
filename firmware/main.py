# Starts the ball. Ctrl-C (as mpremote sends) stops it for flashing.
from ballsense_fw import app

app.main()
