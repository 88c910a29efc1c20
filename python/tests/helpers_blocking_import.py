"""Imported by a test's env server (`yendor-env serve --import helpers_blocking_import`): holds the
server before it binds, so that the test can stop `yendor train` while train waits for its env
servers to answer. Bounded, in case the test cannot stop it."""
import time

time.sleep(600)
