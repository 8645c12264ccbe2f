"""No-debt certificates (borcun olmaması haqqında arayış): issued from the real-time balance."""
