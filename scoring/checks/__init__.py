"""Built-in checks, one module each. The registry discovers them (scoring/registry.py): adding a check
is adding its module, with no list to edit."""
