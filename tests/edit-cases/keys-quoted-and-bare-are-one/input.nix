{
  "quoted" = 1;
  bare.nested = 2;
  ${"dyn"} = 3;
}
