module libgazette.dev/gazette

go 1.19
