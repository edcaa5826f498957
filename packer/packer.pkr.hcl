# The plugin requirements, in a file of their own: `packer init .` reads them. Packer 1.6.6 (Debian's
# package, which the tests run) rejects `required_plugins`, so the tests validate every other file
# of this folder without this one (tests/images/packer.test.ts).
packer {
  required_version = ">= 1.10.0"
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = ">= 1.3.0"
    }
  }
}
