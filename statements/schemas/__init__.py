"""marshmallow schemas of the xAPI Data section, one module per spec section."""
