"""The sans-I/O xAPI core: validation, preparation, queries, formats and the stores."""
