"""DSL text shared by the tests: the issue's LeNet-5 cell, verbatim, kept in one place."""

LENET = """input 1x28x28
conv 6 5x5 pad=2 tanh
avgpool 2
conv 16 5x5 tanh
avgpool 2
flatten
dense 120 tanh
dense 84 tanh
dense 10
"""

#: The same model as a %%dl cell that names it ``lenet``.
LENET_CELL = "%%dl lenet\n" + LENET
