"""Icons, stylesheet, fonts and letter templates, found with importlib.resources."""
