#!/bin/sh
# provider_grandchild.sh - leaves a background process that holds stdout
# open and sleeps, prints a code and exits.  The provider must not wait
# for that stdout to close; it ends the call and kills the leftover.
sleep 30 &
echo GRAND-1234
