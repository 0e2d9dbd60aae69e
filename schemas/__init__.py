"""Everything that crosses a labbook service boundary: messages, topics, rules.

The only package every service imports.
"""
