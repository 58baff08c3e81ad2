"""graphgrad's command line and demo: the thin layer on top of `autograd`, `nn` and `viz`."""
