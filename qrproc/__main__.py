from qrproc.cli import main

main()
