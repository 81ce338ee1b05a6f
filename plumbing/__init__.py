"""What the worker, the activities and the command line share: settings, the connection and its encrypting codec,
logging, secret files, search attributes and visibility listings. Imports nothing of the project but `domain`."""
