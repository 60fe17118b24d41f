/// The Lua scripts that change a dictionary on the server, each one atomic there
/// (`Docs/FORMAT.md`, "Redis"). Every one that writes checks the lease first: with a token, the
/// caller must hold the lease (else `LEASELOST`, and nothing is written); without one, nobody may
/// hold it (else it writes nothing and returns `{0, milliseconds the lease has left}`).
enum DictionaryScripts {
    /// The lease check that starts every writing script: KEYS[2] is the lock, ARGV[1] the
    /// caller's token or empty.
    private static let leaseCheck = """
        local holder = redis.call('GET', KEYS[2])
        if ARGV[1] ~= '' then
            if holder ~= ARGV[1] then
                return redis.error_reply('LEASELOST the lock was taken over after its lease expired')
            end
        elseif holder then
            return {0, redis.call('PTTL', KEYS[2])}
        end
        """

    /// Creates or attaches: KEYS[1] meta; ARGV: mode (`create`, `attach` or `either`), then the
    /// settings to record: serializer, recurse, format version. Returns `{'created'}`,
    /// `{'exists'}`, `{'missing'}` or `{'attached', serializer, recurse, version}`.
    static let open = RedisScript("""
        if redis.call('EXISTS', KEYS[1]) == 1 then
            if ARGV[1] == 'create' then return {'exists'} end
            local fields = redis.call('HMGET', KEYS[1], 'serializer', 'recurse', 'version')
            return {'attached', fields[1], fields[2], fields[3]}
        end
        if ARGV[1] == 'attach' then return {'missing'} end
        redis.call('HSET', KEYS[1], 'serializer', ARGV[2], 'recurse', ARGV[3], 'version', ARGV[4])
        return {'created'}
        """)

    /// Appends a record: KEYS[1] log, KEYS[2] lock; ARGV[1] token, ARGV[2] the record, ARGV[3]
    /// the ID the caller's replica holds, ARGV[4] how many entries to return at most. Returns
    /// `{1, id, entries}`: the new entry's ID and the entries between ARGV[3] and it (the caller
    /// has its own record already).
    static let append = RedisScript(leaseCheck + """

        local id = redis.call('XADD', KEYS[1], '*', 'r', ARGV[2])
        return {1, id, redis.call('XRANGE', KEYS[1], '(' .. ARGV[3], '(' .. id, 'COUNT', ARGV[4])}
        """)

    /// Publishes a full dump: KEYS[1] log, KEYS[2] lock, KEYS[3] dump; ARGV[1] token, ARGV[2]
    /// the snapshot, ARGV[3] the ID of the log's last entry that the snapshot covers. Unless the
    /// log has moved past ARGV[3] (then it returns `{2, last ID}` and writes nothing), appends a
    /// `d` entry, stores the snapshot with its ID, and trims the log below it: `{1, id}`.
    static let publishDump = RedisScript(leaseCheck + """

        local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
        local head = last[1] and last[1][1] or '0-0'
        if head ~= ARGV[3] then return {2, head} end
        local id = redis.call('XADD', KEYS[1], '*', 'd', '')
        redis.call('HSET', KEYS[3], 'id', id, 'snapshot', ARGV[2])
        redis.call('XTRIM', KEYS[1], 'MINID', id)
        return {1, id}
        """)

    /// Takes the lease if nobody holds it: KEYS[1] lock, KEYS[2] fence, KEYS[3] log; ARGV[1]
    /// token, ARGV[2] lease in milliseconds, ARGV[3] the ID the caller's replica holds, ARGV[4]
    /// how many entries to return at most. Returns `{fence, entries}`: the new fence (a positive
    /// count) and the log's entries after ARGV[3], so that the holder starts current; or
    /// `{-milliseconds}`, the time the holder's lease has left.
    static let acquire = RedisScript("""
        if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
            return {redis.call('INCR', KEYS[2]), redis.call('XRANGE', KEYS[3], '(' .. ARGV[3], '+', 'COUNT', ARGV[4])}
        end
        return {-math.max(1, redis.call('PTTL', KEYS[1]))}
        """)

    /// Renews the lease of ARGV[1] for ARGV[2] milliseconds: KEYS[1] lock. Returns 1, or 0 when
    /// the token no longer holds it.
    static let renew = RedisScript("""
        if redis.call('GET', KEYS[1]) == ARGV[1] then
            return redis.call('PEXPIRE', KEYS[1], ARGV[2])
        end
        return 0
        """)

    /// Removes a dictionary: KEYS its keys, meta first; ARGV[1] `recursive` to remove it only if
    /// its meta records `recurse` 1. Returns the keys that existed, in the order given (none
    /// when it was not recursive).
    static let remove = RedisScript("""
        if ARGV[1] == 'recursive' and redis.call('HGET', KEYS[1], 'recurse') ~= '1' then return {} end
        local removed = {}
        for _, key in ipairs(KEYS) do
            if redis.call('DEL', key) == 1 then removed[#removed + 1] = key end
        end
        return removed
        """)

    /// Gives the lease of ARGV[1] up: KEYS[1] lock. Returns 1, or 0 when the token no longer held it.
    static let release = RedisScript("""
        if redis.call('GET', KEYS[1]) == ARGV[1] then
            return redis.call('DEL', KEYS[1])
        end
        return 0
        """)
}
