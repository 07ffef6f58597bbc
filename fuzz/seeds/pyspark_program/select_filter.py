from pyspark.sql import functions as F
df = spark.read.parquet("trips")
out = df.select("id", "fare").filter(F.col("fare") > 2).withColumn("double", F.col("fare") * 2)
out.show(5)
