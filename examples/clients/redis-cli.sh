# redis-cli takes the password from REDISCLI_AUTH, never from its command line.
export REDISCLI_AUTH="$REDIS_PASSWORD"
redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --user app INCR visits
