{ config, lib, pkgs, ... }:
let
	cfg = config.services.radio;
in
{
	options.services.radio.enable = lib.mkEnableOption "the radio stream";

	config =
		let
			stateDir = "/var/lib/radio";
		in
		lib.mkIf cfg.enable {
			systemd.services.radio = {
				wantedBy = [ "multi-user.target" ];
				after = [
					"network-online.target"
					"icecast.service"
				];
				serviceConfig = lib.mkOverride 90 {
					ExecStart = "${pkgs.hello}/bin/hello";
					WorkingDirectory = stateDir;
				};
			};
			boot.kernelParams = lib.mkAfter [
				"threadirqs"
				"preempt=full"
			];
			networking.extraHosts = lib.mkBefore ''
				127.0.0.1 radio.local
			'';
			services.icecast = {
				enable = true;
				admin.password = "hackme";
				extraConf = lib.mkOrder 1500 ''
					<limits><clients>100</clients></limits>
				'';
			};
		};
}
