from pyspark.sql import functions as F
from pyspark.sql.window import Window
df = spark.read.parquet("trips")
df.createOrReplaceTempView("t")
w = Window.partitionBy("zone").orderBy(F.col("fare").desc())
ranked = spark.sql("""SELECT id, zone, fare FROM t WHERE id IS NOT NULL""").withColumn("rank", F.row_number().over(w))
ranked.select("id", F.when(F.col("rank") == 1, "top").otherwise("rest").alias("place")).show()
print(ranked.count())
