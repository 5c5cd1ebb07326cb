// Placeholder: interpreter, checker and disassembler land here.
