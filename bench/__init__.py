"""okrql's benchmark against PostGraphile V5 on the same data: see bench/README.md."""
