{ lib, ... }:

{
  meta = with lib; {
    maintainers = with maintainers; [ alice bob ];
    doc = ./shop.md;
  };
}
