"""A DataJoint database of ethoflow's results: element-facemap's tables, pose and motifs.

:func:`declare` makes (or attaches to) the schemas; :func:`session_rows` reads a session's
files into rows; :func:`ingest_session` replaces a session's rows in one transaction;
:func:`export_session` is the workflow's rule ``export_datajoint``. Needs ``datajoint`` ≥ 2.1
and a MySQL or MariaDB server.
"""

from ethoflow.datajoint.ingest import (
    DataJointExportError,
    connect,
    export_session,
    ingest_session,
    session_rows,
)
from ethoflow.datajoint.tables import Pipeline, declare, schema_names

__all__ = ["DataJointExportError", "Pipeline", "connect", "declare", "export_session",
           "ingest_session", "schema_names", "session_rows"]
