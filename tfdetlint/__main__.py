from tfdetlint.cli import entry

entry()
