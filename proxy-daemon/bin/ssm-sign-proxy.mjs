#!/usr/bin/env node
// The package's `bin`. A checked-in file rather than dist/cli.mjs itself: npm links a workspace's bin at
// install time, before the root `prepare` script has built dist/, and skips a link whose target is missing.
import "../dist/cli.mjs";
