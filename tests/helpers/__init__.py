"""Helpers shared by the tests: the project's paths, a small hospital whose every number is known,
notebook runs under papermill, reading HTML as a person does, and the fault lab."""
