# A machine.
{
  # The web server.
  services.nginx.enable = true; # on
  /* ports */ ports = [
    80 # http
    # more to come
    443 /* https */
  ];
  extra = [
    # nothing yet
  ];
  # end of settings
  # (keep this block last)
}
