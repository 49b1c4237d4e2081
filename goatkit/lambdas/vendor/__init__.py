"""Third-party files of the lambda sandbox (README.md); a package only so that they ship with goatkit."""
