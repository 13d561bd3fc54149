#!/bin/bash
# INTENTIONALLY VULNERABLE test data for SecuLite: never run.
DIR=$1
RELEASE=`date +%Y%m%d%H%M%S`

cd $DIR
cat VERSION | grep -q release
rm -rf $DIR/
echo "deployed release $RELEASE to $DIR"
