#!/bin/sh
# provider_garbage.sh - exits 0 but prints something that is no code.
printf '<html>\001\377 not a code</html>\n'
