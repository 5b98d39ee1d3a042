#!/usr/bin/env node
// mcgrp = mccs grp; MCCS single-dash syntax accepted (src/cli/mccs-syntax.ts). Runs from dist: npm run build.
import { main } from '../dist/cli/run.js';

process.exitCode = await main('grp', process.argv.slice(2));
