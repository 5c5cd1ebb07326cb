namespace confine::cli {
int main(int argc, char** argv);
}

int main(int argc, char** argv) { return confine::cli::main(argc, argv); }
