"""一体管理 integrated management: the audit trail (every action, append-only), and later
the dashboard, ratings and rectification."""
