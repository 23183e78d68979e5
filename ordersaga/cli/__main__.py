from ordersaga.cli.main import main

main()
