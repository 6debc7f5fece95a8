"""sparkbert nightly over a growing corpus directory, as an Airflow DAG (Airflow 2.4 or later).

Copy this file into your DAGs folder and adapt the constants below. Two tasks, every night at 02:30:

1. ``preprocess_incremental``: ``preprocess --incremental`` turns only the files added since the last
   run into new shards of the same dataset (same vocab and settings, or it refuses). With nothing new it
   says so and succeeds.
2. ``cooccur``: recounts the co-occurrences of the whole directory (``cooccur`` has no incremental mode)
   and swaps the new result in atomically (``--overwrite`` replaces the old one only when it is done).

``max_active_runs=1`` keeps two nights from overlapping. Should another process (a manual run, a second
scheduler) write the same output meanwhile, sparkbert refuses with exit code 2 and a message naming
the holder of the output's lock (host, pid, command, start time); the task then fails and retries later.
The workers need Java 17 and a built checkout (``mvn -DskipTests package``); the launcher never rebuilds
here (``SPARKBERT_NO_BUILD=1``). On a cluster, set ``MASTER`` (``yarn``, ``spark://host:7077``, ...) and
keep corpus and outputs on a filesystem every executor reads (HDFS, S3A).
"""

from datetime import timedelta

import pendulum
from airflow import DAG
from airflow.operators.bash import BashOperator

SPARKBERT_HOME = "/opt/sparkbert"  # a built sparkbert checkout on the Airflow worker
DATA = "/srv/sparkbert"  # or hdfs:///..., s3a://...
CORPUS = f"{DATA}/corpus"  # the growing directory: new files are added, old ones never change
VOCAB = f"{DATA}/vocab.txt"
SAMPLES = f"{DATA}/samples"
COOCCUR = f"{DATA}/cooccur"
MASTER = ""  # "" = embedded Spark on the Airflow worker; else e.g. "yarn" or "spark://host:7077"

ENV = {"SPARKBERT_NO_BUILD": "1", "SPARKBERT_DRIVER_MEMORY": "4g"}
MASTER_OPTION = f" --master {MASTER}" if MASTER else ""

with DAG(
    dag_id="sparkbert_nightly",
    description="incremental BERT pretraining samples + GloVe co-occurrences over a growing corpus",
    schedule="30 2 * * *",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,  # one run covers every file added since the last one; no need to replay missed nights
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=30)},
    tags=["sparkbert"],
) as dag:
    preprocess = BashOperator(
        task_id="preprocess_incremental",
        cwd=SPARKBERT_HOME,
        env=ENV,
        append_env=True,
        bash_command=(
            f"bin/sparkbert preprocess --input {CORPUS} --vocab {VOCAB} --output {SAMPLES}"
            f" --incremental{MASTER_OPTION}"
        ),
    )
    cooccur = BashOperator(
        task_id="cooccur",
        cwd=SPARKBERT_HOME,
        env=ENV,
        append_env=True,
        bash_command=f"bin/sparkbert cooccur --input {CORPUS} --output {COOCCUR} --overwrite{MASTER_OPTION}",
    )
    preprocess >> cooccur
