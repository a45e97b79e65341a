{ lib, ... }:

{
  meta = with lib; {
    maintainers = with maintainers; [ alice ];
    doc = ./shop.md;
  };
}
