{
	services = {
		nginx.enable = true;
	};
	imports = [
		./a.nix
	];
}
