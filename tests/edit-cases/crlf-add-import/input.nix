{
    imports = [
        ./a.nix
    ];
    ports = {
        a = 8080;
    };
}
