.PHONY: test demo build release bench

# The README's two commands.
test:
	scripts/test

demo:
	scripts/demo

build:
	swift build

release:
	swift build -c release
