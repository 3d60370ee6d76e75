"""Sessions: booking, logging and answering (sessions), seats of collective sessions and giving up a voucher (seats), and who hears of it (notices)."""
