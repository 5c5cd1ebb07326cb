// Placeholder: the JSON parser/writer lands here.
